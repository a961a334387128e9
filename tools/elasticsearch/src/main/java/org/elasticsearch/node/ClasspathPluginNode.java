package org.elasticsearch.node;

import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

import java.util.Map;

/**
 * A production {@link Node} whose plugins come from the classpath.
 *
 * <p>In 8.x a node gets its {@link PluginsService} from {@link NodeServiceProvider#newPluginService}, and both that
 * hook and {@link NodeConstruction#prepareConstruction} are package-private, hence this package. Only the plugin
 * service is replaced; every other service is the real one (ES's own test {@code MockNode} swaps several more).
 */
public final class ClasspathPluginNode extends Node {

    private ClasspathPluginNode(NodeConstruction construction) {
        super(construction);
    }

    public static Node create(Environment environment, Map<String, Class<? extends Plugin>> plugins) {
        NodeServiceProvider provider = new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment env, PluginsLoader ignored) {
                return new ClasspathPluginsService(env.settings(), env, plugins);
            }
        };
        return new ClasspathPluginNode(
            NodeConstruction.prepareConstruction(environment, ClasspathPluginsService.emptyLoader(), provider, true)
        );
    }
}
