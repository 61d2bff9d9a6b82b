using System.Security.Cryptography;
using System.Text;

namespace Transfer.Caching;

/// <summary>
/// Builds the fingerprint that names a <see cref="BottleneckStore"/>: everything besides the image
/// bytes that changes a bottleneck vector (the backbone's model and descriptor, and the
/// preprocessing settings: size, resize mode, alpha background, view).
/// </summary>
/// <remarks>
/// A fingerprint is an ordinary string. Vectors stored under one fingerprint are never returned for
/// another, so any change to the backbone or the preprocessing gets its own entries and a stale
/// vector cannot be read.
/// </remarks>
public static class CacheFingerprint
{
    /// <summary>The character that separates the backbone part from the preprocessing part in <see cref="Combine"/>.</summary>
    public const char Separator = '|';

    /// <summary>
    /// Computes a backbone fingerprint: <c>backbone-sha256:</c> followed by the SHA-256 of the model
    /// bytes' SHA-256 and the UTF-8 descriptor.
    /// </summary>
    /// <param name="model">The ONNX model bytes, read to the end.</param>
    /// <param name="descriptor">A canonical text of the backbone descriptor (input and output names, layout, scaling, feature size).</param>
    /// <returns>The backbone fingerprint, 80 characters.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static string ForBackbone(Stream model, string descriptor)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(descriptor);
        byte[] modelHash = SHA256.HashData(model);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(modelHash);
        hash.AppendData(Encoding.UTF8.GetBytes(descriptor));
        return "backbone-sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Computes a backbone fingerprint from model bytes in memory; see <see cref="ForBackbone(Stream, string)"/>.</summary>
    /// <param name="model">The ONNX model bytes.</param>
    /// <param name="descriptor">A canonical text of the backbone descriptor.</param>
    /// <returns>The backbone fingerprint.</returns>
    public static string ForBackbone(ReadOnlySpan<byte> model, string descriptor)
    {
        using var stream = new MemoryStream(model.ToArray(), writable: false);
        return ForBackbone(stream, descriptor);
    }

    /// <summary>
    /// Combines a backbone fingerprint and a canonical preprocessing text into the fingerprint of a
    /// store: <c>backbone|preprocessing</c>, readable in <see cref="BottleneckCache.Inspect"/>.
    /// </summary>
    /// <param name="backboneFingerprint">The backbone's fingerprint, for example from <see cref="ForBackbone(Stream, string)"/>; must not contain <see cref="Separator"/>.</param>
    /// <param name="preprocessing">A canonical text of the preprocessing settings, for example <c>size=224x224;resize=bilinear;alpha=#FFFFFF;view=full</c>.</param>
    /// <returns>The store fingerprint.</returns>
    /// <exception cref="ArgumentException"><paramref name="backboneFingerprint"/> is empty or contains <see cref="Separator"/>.</exception>
    public static string Combine(string backboneFingerprint, string preprocessing)
    {
        ArgumentNullException.ThrowIfNull(backboneFingerprint);
        ArgumentNullException.ThrowIfNull(preprocessing);
        if (backboneFingerprint.Length == 0 || backboneFingerprint.Contains(Separator, StringComparison.Ordinal))
        {
            // The first separator splits the two parts, so a separator inside the backbone part would make two settings look alike.
            throw new ArgumentException($"Parameter \"backboneFingerprint\" must be non-empty and free of '{Separator}', was \"{backboneFingerprint}\". Hash it first (CacheFingerprint.ForBackbone).", nameof(backboneFingerprint));
        }

        return backboneFingerprint + Separator + preprocessing;
    }
}
