import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local bound to 127.0.0.1 only, answering loopback `Host` names only and no browser.
 * Its own launcher has no bind-address option and listens on every interface, and it takes any
 * `Host` and any signature; so this one builds the same server from the same command-line arguments
 * (ServerRunner.createServerFromCommandLineArgs), sets the host of its Jetty connector and puts a guard
 * in front of its handler before it starts. The guard is deploy/offline/local-guard.cjs's rule for
 * 'dynamodb' (which names are allowed comes from there, as -Dlocal.allowedHosts), inside Java rather than
 * in a proxy: every database call would pay another hop. Telemetry is never configured here, so none is
 * sent. If a later jar changes the shape this relies on, it stops with an error instead of listening on
 * every interface. Compiled and run by scripts/dynamodb-local.ts.
 */
public final class DynamoDbLocalOnLoopback {
  public static void main(String[] args) throws Exception {
    Set<String> allowedHosts = Arrays.stream(System.getProperty("local.allowedHosts", "").split(","))
        .filter(name -> !name.isEmpty())
        .collect(Collectors.toSet());
    if (allowedHosts.isEmpty()) throw new IllegalStateException("-Dlocal.allowedHosts is not set");
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length == 0) throw new IllegalStateException("DynamoDB Local has no connector to bind to 127.0.0.1");
    for (Connector connector : connectors) {
      if (!(connector instanceof ServerConnector)) throw new IllegalStateException("DynamoDB Local connector is not a ServerConnector: " + connector);
      ((ServerConnector) connector).setHost("127.0.0.1");
    }
    server.setHandler(new LoopbackGuard(allowedHosts, server.getHandler()));
    proxy.start();
  }

  /** Refuses, with 403 {message}, what local-guard.cjs refuses for 'dynamodb'; passes the rest on unchanged. */
  static final class LoopbackGuard extends Handler.Wrapper {
    private static final Pattern HOST = Pattern.compile("^(\\[[0-9a-f:.]+\\]|[^:\\[\\]]+)(?::(\\d+))?$", Pattern.CASE_INSENSITIVE);
    private static final Pattern LOOPBACK_V4 = Pattern.compile("^127\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})$");
    private final Set<String> allowedHosts;

    LoopbackGuard(Set<String> allowedHosts, Handler handler) {
      super(handler);
      this.allowedHosts = allowedHosts;
    }

    private boolean isLoopbackName(String name) {
      if (allowedHosts.contains(name)) return true;
      Matcher octets = LOOPBACK_V4.matcher(name);
      if (!octets.matches()) return false;
      for (int i = 1; i <= 3; i++) if (Integer.parseInt(octets.group(i)) > 255) return false;
      return true;
    }

    private String refusal(Request request) {
      String host = request.getHeaders().get(HttpHeader.HOST);
      Matcher parsed = HOST.matcher(host == null ? "" : host.trim());
      if (!parsed.matches() || !isLoopbackName(parsed.group(1).toLowerCase(Locale.ROOT))) return "Host not allowed.";
      if (request.getHeaders().contains("Origin") || request.getHeaders().contains("Sec-Fetch-Site")) return "DynamoDB Local does not answer browsers.";
      return null;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      String reason = refusal(request);
      if (reason == null) return super.handle(request, response, callback);
      response.setStatus(403);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
      response.getHeaders().put("X-Content-Type-Options", "nosniff");
      Content.Sink.write(response, true, "{\"message\":\"" + reason + "\"}", callback);
      return true;
    }
  }
}
