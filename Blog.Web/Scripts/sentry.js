// Browser-side Sentry for Blog.Web. Bundled by esbuild into wwwroot/js/sentry.bundle.js during the .NET build
// and served by the app itself. App.razor includes it only when Sentry:BrowserDsn is set, and passes the
// settings in a <meta name="blog-sentry"> tag so nothing here is environment-specific.
import * as Sentry from "@sentry/browser";

const meta = document.querySelector('meta[name="blog-sentry"]');
// Session replay's compression worker is served by the app, next to this bundle (package.json builds it from
// the SDK's own worker source). The SDK would otherwise start it from a blob: URL, which the page's
// Content-Security-Policy (Security/ContentSecurityPolicy.cs) refuses: workers, like scripts, are the app's files.
const replayWorkerUrl = new URL("sentry-replay-worker.js", document.currentScript.src).href;
const settings = meta ? JSON.parse(meta.content) : null;

if (settings && settings.dsn) {
  Sentry.init({
    dsn: settings.dsn,
    environment: settings.environment,
    release: settings.release,
    sendDefaultPii: false,
    integrations: [
      Sentry.browserTracingIntegration(),
      // Replays record only around an error, and never what people wrote or read: all text is masked,
      // all inputs too, and images and media are blocked.
      Sentry.replayIntegration({ maskAllText: true, maskAllInputs: true, blockAllMedia: true, workerUrl: replayWorkerUrl }),
    ],
    tracesSampleRate: 0.1,
    // Trace headers go to this app only: never to the Sentry host or any third party.
    tracePropagationTargets: [window.location.origin, /^\/(?!\/)/],
    replaysSessionSampleRate: 0,
    replaysOnErrorSampleRate: 1.0,
  });
  if (settings.requestId) {
    Sentry.setTag("request_id", settings.requestId);
  }
  if (settings.userId) {
    Sentry.setUser({ id: settings.userId });
  }
}
