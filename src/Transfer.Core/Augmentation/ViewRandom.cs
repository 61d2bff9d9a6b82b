using System.Buffers.Binary;
using Transfer.Images;

namespace Transfer.Augmentation;

/// <summary>
/// The random numbers of one view of one image: a SplitMix64 stream seeded from the image's content hash and the
/// view's seed only, so an image gets the same view whatever its row, batch, thread or run (and whatever the .NET
/// version: <see cref="Random"/> does not promise a stable sequence).
/// </summary>
internal struct ViewRandom
{
    private ulong _state;

    public ViewRandom(ContentHash content, int seed)
    {
        Span<byte> digest = stackalloc byte[ContentHash.Size];
        content.CopyTo(digest);
        ulong state = BinaryPrimitives.ReadUInt64LittleEndian(digest) ^ BinaryPrimitives.ReadUInt64LittleEndian(digest[8..]);
        _state = state ^ Mix(0x9E3779B97F4A7C15UL * (ulong)(uint)seed + 0xD1B54A32D192ED03UL);
    }

    /// <summary>Returns a uniform number in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    private ulong Next()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
