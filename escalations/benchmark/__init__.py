"""The scale benchmark behind `manage.py bench`: seed a large history fast, then time the pages that must stay fast."""
