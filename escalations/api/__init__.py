"""The REST API (`/api/v1/`): thin views around the same services and selectors as the pages."""
