"""The local backend's renderer: render plans, ffmpeg, probing and the render job queue."""
