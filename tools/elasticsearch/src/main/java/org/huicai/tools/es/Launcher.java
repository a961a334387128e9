package org.huicai.tools.es;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.http.HttpServerTransport;
import org.elasticsearch.node.ClasspathPluginNode;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Starts one Elasticsearch node in this JVM, for development and CI only: by default a single-node cluster; with
 * {@code --seed-hosts} a member of a multi-node cluster on this machine (one JVM per node).
 *
 * <pre>
 * java -jar huicai-es-launcher.jar [--http-port 9200] [--data-dir DIR] [--cluster-name NAME]
 *      [--node-name NAME] [--transport-port PORT] [--seed-hosts HOST:PORT,...] [--initial-master-nodes NAME,...]
 *      [-E key=value ...]
 * </pre>
 *
 * Layout under the data dir: {@code home/} (path.home, config/, empty modules/ and plugins/), {@code data/},
 * {@code logs/} (the node's log file and the {@code http.ports} file). Without {@code --data-dir} a temporary directory
 * is used and deleted on exit.
 */
public final class Launcher {

    private static final String LOG_CONFIG_RESOURCE = "/org/huicai/tools/es/log4j2.properties";

    private Launcher() {}

    public static void main(String[] args) {
        PrintStream out = System.out;
        try {
            run(args, out);
        } catch (Throwable t) {
            // Node threads are not daemons: without an explicit exit a node that failed to start (port taken, data dir
            // locked) would leave a live JVM that never answers. The shutdown hook, if registered, closes the node.
            out.println("huicai-es: failed to start: " + t);
            t.printStackTrace(out);
            out.flush();
            System.exit(1);
        }
    }

    private static void run(String[] args, PrintStream out) throws Exception {
        long startNanos = System.nanoTime();
        // `out` is the real stdout, kept before LogConfigurator redirects System.out into the log.
        // Our shutdown hook closes the node and then log4j; log4j's own hook would stop logging first.
        System.setProperty("log4j.shutdownHookEnabled", "false");
        System.setProperty("log4j2.disable.jmx", "true");
        System.setProperty("log4j2.formatMsgNoLookups", "true");

        int httpPort = 9200;
        Path dataDir = null;
        String clusterName = "huicai-dev";
        String nodeName = "huicai-es";
        int transportPort = 0;
        String seedHosts = null;
        String initialMasterNodes = null;
        Settings.Builder extra = Settings.builder();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--http-port" -> httpPort = Integer.parseInt(args[++i]);
                case "--data-dir" -> dataDir = Path.of(args[++i]);
                case "--cluster-name" -> clusterName = args[++i];
                case "--node-name" -> nodeName = args[++i];
                case "--transport-port" -> transportPort = Integer.parseInt(args[++i]);
                case "--seed-hosts" -> seedHosts = args[++i];
                case "--initial-master-nodes" -> initialMasterNodes = args[++i];
                case "-E" -> {
                    String kv = args[++i];
                    int eq = kv.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("expected -E key=value, got " + kv);
                    }
                    extra.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
                case "-h", "--help" -> {
                    out.println("usage: Launcher [--http-port 9200] [--data-dir DIR] [--cluster-name NAME] [--node-name NAME]"
                        + " [--transport-port PORT] [--seed-hosts HOST:PORT,...] [--initial-master-nodes NAME,...]"
                        + " [-E key=value ...]");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        boolean temporary = dataDir == null;
        if (temporary) {
            dataDir = Files.createTempDirectory("huicai-es-");
        }
        dataDir = dataDir.toAbsolutePath();
        Path home = dataDir.resolve("home");
        Path config = home.resolve("config");
        for (Path dir : new Path[] { config, home.resolve("modules"), home.resolve("plugins"), dataDir.resolve("data"), dataDir.resolve("logs") }) {
            Files.createDirectories(dir);
        }
        // LogConfigurator reads every log4j2*.properties in the config dir; ours is bundled in the jar.
        try (InputStream in = Launcher.class.getResourceAsStream(LOG_CONFIG_RESOURCE)) {
            Files.copy(in, config.resolve("log4j2.properties"), StandardCopyOption.REPLACE_EXISTING);
        }

        if (initialMasterNodes != null && seedHosts == null) {
            throw new IllegalArgumentException("--initial-master-nodes needs --seed-hosts");
        }
        Settings.Builder discovery = Settings.builder();
        if (seedHosts == null) {
            // single-node discovery: no cluster bootstrapping, and (outside the real bootstrap) no bootstrap checks
            discovery.put("discovery.type", "single-node");
        } else {
            // A cluster on this machine: every node master-eligible and a data node (the default roles). The initial
            // master nodes bootstrap the cluster once, on its first start only; a node restarted later finds the
            // others through the seed hosts and must not be given them again.
            discovery.putList("discovery.seed_hosts", List.of(seedHosts.split(",")));
            if (initialMasterNodes != null) {
                discovery.putList("cluster.initial_master_nodes", List.of(initialMasterNodes.split(",")));
            }
        }
        Settings settings = Settings.builder()
            .put("cluster.name", clusterName)
            .put("node.name", nodeName)
            .put("path.home", home.toString())
            .put("path.data", dataDir.resolve("data").toString())
            .put("path.logs", dataDir.resolve("logs").toString())
            .put(discovery.build())
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPort)
            .put("transport.port", transportPort > 0 ? transportPort : freePort())
            .put("http.type", Netty4Plugin.NETTY_HTTP_TRANSPORT_NAME)
            .put("transport.type", Netty4Plugin.NETTY_TRANSPORT_NAME)
            // writes logs/http.ports once HTTP is bound
            .put(Node.WRITE_PORTS_FILE_SETTING.getKey(), true)
            // dev/CI disks are often nearly full; never block writes on disk watermarks
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("action.destructive_requires_name", false)
            .put(extra.build())
            .build();

        Environment environment = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), config, () -> "huicai-es");
        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName(Node.NODE_NAME_SETTING.get(environment.settings()));
        LogConfigurator.configure(environment, false);

        Map<String, Class<? extends Plugin>> plugins = new LinkedHashMap<>();
        plugins.put("transport-netty4", Netty4Plugin.class);
        plugins.put("huicai-rest-root", RestRootPlugin.class);
        Node node = ClasspathPluginNode.create(environment, plugins);

        CountDownLatch stopped = new CountDownLatch(1);
        final Path toDelete = temporary ? dataDir : null;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.prepareForClose();
                node.close();
                if (node.awaitClose(10, TimeUnit.SECONDS) == false) {
                    out.println("huicai-es: node did not close within 10s");
                }
            } catch (Exception e) {
                e.printStackTrace(out);
            } finally {
                org.apache.logging.log4j.core.LoggerContext ctx =
                    (org.apache.logging.log4j.core.LoggerContext) org.apache.logging.log4j.LogManager.getContext(false);
                ctx.stop();
                if (toDelete != null) {
                    deleteRecursively(toDelete);
                }
                stopped.countDown();
            }
        }, "huicai-es-shutdown"));

        node.start();
        var http = node.injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress();
        out.printf(
            "huicai-es: started Elasticsearch %s node %s in %d ms at http://%s (data dir %s)%n",
            org.elasticsearch.Build.current().version(),
            nodeName,
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos),
            http,
            dataDir
        );
        out.flush();
        // Keep the JVM up until the shutdown hook has run (SIGTERM / SIGINT).
        stopped.await();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void deleteRecursively(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort for a temporary directory
        }
    }
}
