"""The kiosk's screens, one module per task: the door, the PIN, dialogs at the door, the supervisor menu."""
