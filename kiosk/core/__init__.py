"""Pure domain rules: badge codes, the door decision, check-in rules. No I/O, no Textual."""
