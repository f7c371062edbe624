"""The storefront: public pages where customer users sign up, keep shopping lists, ask for and accept quotes."""
