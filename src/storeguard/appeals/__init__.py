"""A blocked customer's appeal: a public page from the notice's link, and a fair review by a second person."""
