import SwaggerUI from 'swagger-ui-dist/swagger-ui-es-bundle.js';
import 'swagger-ui-dist/swagger-ui.css';
import '../common/styles.css';

// Swagger UI, bundled with the page (no CDN); "Try it out" calls this origin with the session cookie.
SwaggerUI({ url: 'docs/openapi.yaml', dom_id: '#reference', deepLinking: true, withCredentials: true });
