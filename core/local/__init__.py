"""The local backend: the NemoVideo protocol on loopback, rendering real MP4s."""
