"""Map sheets renumbered for the 2-level communes, crosswalks and the parcel UID."""
