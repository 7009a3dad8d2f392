"""Dialogs opened from the menus: settings (code model, video service, keys), plugins,
export and import, the template gallery, and model scoring (Tools › Benchmark)."""
