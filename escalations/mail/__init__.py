"""Customer email: parsing raw messages, threading them onto cases, and the two ways mail comes in (HTTP, IMAP)."""
