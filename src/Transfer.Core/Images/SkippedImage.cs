namespace Transfer.Images;

/// <summary>An image left out of a run, and why.</summary>
/// <param name="Source">The image's path or description.</param>
/// <param name="Reason">Why it was left out.</param>
public sealed record SkippedImage(string Source, string Reason);
