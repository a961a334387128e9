package org.elasticsearch.plugins;

import org.elasticsearch.Build;
import org.elasticsearch.action.admin.cluster.node.info.PluginsAndModules;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@link PluginsService} whose plugins are classes already on the JVM classpath.
 *
 * <p>It lives in {@code org.elasticsearch.plugins} because the {@link PluginsLoader} constructor, {@code LoadedPlugin}
 * and {@link #loadPlugin} are package-private. Nothing is read from {@code modules/} or {@code plugins/}: the official
 * distribution's bundled modules are not published to Maven Central, and the plugin we do have (transport-netty4) is
 * a plain jar on the classpath, so no module layers or plugin class loaders are built.
 */
public class ClasspathPluginsService extends PluginsService {

    private final List<LoadedPlugin> classpathPlugins;
    private final PluginsAndModules info;

    /**
     * @param plugins bundle name (as in {@code META-INF/es-plugins/<name>/}) to plugin class, in load order
     */
    public ClasspathPluginsService(Settings settings, Environment environment, Map<String, Class<? extends Plugin>> plugins) {
        super(settings, environment.configDir(), emptyLoader());
        List<LoadedPlugin> loaded = new ArrayList<>();
        plugins.forEach((name, pluginClass) -> {
            Plugin plugin = loadPlugin(pluginClass, settings, environment.configDir());
            loaded.add(new LoadedPlugin(descriptorFor(name, pluginClass), plugin, pluginClass.getClassLoader()));
        });
        // Wires ExtensiblePlugin extension points between the classpath plugins, as the real loader does.
        loadExtensions(loaded);
        this.classpathPlugins = List.copyOf(loaded);
        this.info = new PluginsAndModules(loaded.stream().map(p -> new PluginRuntimeInfo(p.descriptor())).toList(), List.of());
    }

    /** A loader with no modules and no plugins, so the parent constructor builds no module layers. */
    public static PluginsLoader emptyLoader() {
        return new PluginsLoader(Set.of(), Set.of(), Map.of());
    }

    /**
     * Uses the descriptor that official plugin jars carry, so that {@code GET _nodes/plugins} reports the real name and
     * version; synthesises one when the jar has none.
     */
    private static PluginDescriptor descriptorFor(String name, Class<? extends Plugin> pluginClass) {
        String path = "META-INF/es-plugins/" + name + "/" + PluginDescriptor.INTERNAL_DESCRIPTOR_FILENAME;
        try (InputStream in = pluginClass.getClassLoader().getResourceAsStream(path)) {
            if (in != null) {
                PluginDescriptor d = PluginDescriptor.readInternalDescriptorFromStream(in);
                if (d.getClassname().equals(pluginClass.getName())) {
                    return d;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new PluginDescriptor(
            name,
            "classpath plugin " + pluginClass.getName(),
            Build.current().version(),
            Build.current().version(),
            Integer.toString(Runtime.version().feature()),
            pluginClass.getName(),
            null,
            List.of(),
            false,
            false,
            false,
            false
        );
    }

    @Override
    public PluginsAndModules info() {
        return info;
    }

    @Override
    protected final List<LoadedPlugin> plugins() {
        return classpathPlugins;
    }
}
