namespace Transfer.Reporting;

/// <summary>Images with identical content (the same bytes), found by a dataset audit.</summary>
/// <param name="ContentHash">The SHA-256 of the shared content, as hexadecimal.</param>
/// <param name="Sources">The paths or names of the images, two or more.</param>
public sealed record DuplicateImages(string ContentHash, IReadOnlyList<string> Sources);
