# Replaces PyInstaller's hook for PySide6.QtQml (hooks in `hookspath` win over the built-in
# ones). Studio has no QML: QtQml is only pulled in because libQt6WebEngineCore links
# against it. The built-in hook would also collect every QML module of the PySide6 wheels
# (Quick3D, Controls styles, Charts, Location, Wayland compositor...) with the Qt libraries
# they need: about 100 MB the app never loads. The QtQml library itself is still collected.
from PyInstaller.utils.hooks.qt import add_qt6_dependencies

hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
