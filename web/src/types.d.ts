// swagger-ui-dist ships no types; the one call the reference page makes.
declare module 'swagger-ui-dist/swagger-ui-es-bundle.js' {
  const SwaggerUI: (options: {
    url: string;
    dom_id: string;
    deepLinking?: boolean;
    tryItOutEnabled?: boolean;
    withCredentials?: boolean;
    onComplete?: () => void;
  }) => unknown;
  export default SwaggerUI;
}
