// Swagger UI as FastAPI configures it: the served document, deep links, and the
// OAuth2 password flow of its security scheme ("Authorize" posts the form to
// /api/v1/login/access-token on this origin).
window.ui = SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  persistAuthorization: false,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
