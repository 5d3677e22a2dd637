// The declaration in include/ is all; this file makes the target a C target.
