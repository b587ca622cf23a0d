//! buqi-photo (skeleton; being written)
