"""Staff users: the people who log in to the admin pages, their passwords and their sessions."""
