//! buqi-measure (skeleton; being written)
