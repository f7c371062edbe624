"""Back-office pages of promotions under /sales/: list, detail, form with its conditions editor, (de)activation."""
