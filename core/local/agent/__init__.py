"""The local backend's rule-based agent: ADK-shaped events, the edit table and the turns that apply it."""
