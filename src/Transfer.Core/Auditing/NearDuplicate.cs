using Transfer.Images;

namespace Transfer.Auditing;

/// <summary>Two training images with (nearly) the same features (<see cref="LabelAuditResult.Duplicates"/>).</summary>
/// <param name="First">The first image's row in the audited feature matrix.</param>
/// <param name="Second">The second image's row (above <paramref name="First"/>).</param>
/// <param name="A">The first image.</param>
/// <param name="B">The second image.</param>
/// <param name="Similarity">The cosine similarity of their centred features (1 for identical files).</param>
/// <param name="CrossClass">Whether they are filed under different classes: the same picture with two labels, at least one wrong.</param>
/// <param name="Identical">Whether the two files have the same bytes (SHA-256 of the content, as the bottleneck cache keys them).</param>
public sealed record NearDuplicate(int First, int Second, ImageEntry A, ImageEntry B, float Similarity, bool CrossClass, bool Identical);
