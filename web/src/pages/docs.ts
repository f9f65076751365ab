import SwaggerUI from 'swagger-ui-dist/swagger-ui-es-bundle.js';
import 'swagger-ui-dist/swagger-ui.css';
import './docs.css';

// Swagger UI, bundled with the page (no CDN); "Try it out" calls this origin with the session cookie.
// No deep links: they put a link inside each operation's button (axe: nested-interactive).
SwaggerUI({
  url: 'docs/openapi.yaml',
  dom_id: '#reference',
  deepLinking: false,
  withCredentials: true,
  // Swagger UI's server picker has no label of its own (axe: select-name).
  onComplete: () => document.querySelector('#servers')?.setAttribute('aria-label', 'Server'),
});
