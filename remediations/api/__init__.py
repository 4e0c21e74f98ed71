"""The remediations REST API (`/api/v1/remediations/`, `/api/v1/root-causes/`): thin views around the same
services and selectors as the pages."""
