namespace Transfer.Testing;

/// <summary>One class of a synthetic image set: every image shows <see cref="Shape"/> in <see cref="Color"/>, with jitter.</summary>
/// <param name="Name">The class label (also its folder name when written to disk).</param>
/// <param name="Shape">The shape drawn.</param>
/// <param name="Color">The shape's colour as 0xRRGGBB.</param>
public sealed record SyntheticClass(string Name, SyntheticShape Shape, int Color);
