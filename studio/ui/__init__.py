"""Qt widgets only: main window, panes, dialogs. Business logic lives in studio.core."""
