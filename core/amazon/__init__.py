"""The Amazon side: the SP-API gateway and a local SP-API emulator."""
