using System.Globalization;
using System.Text;
using Transfer.Caching;
using Transfer.Images;

namespace Transfer.CacheWorker;

/// <summary>
/// Stand-in for the featurizer in cache tests: image <c>i</c> has bytes "image-i", and its vector is a
/// deterministic function of its content hash, so any stored vector can be checked.
/// Linked into Transfer.Core.Tests too.
/// </summary>
internal static class SyntheticFeatures
{
    public static byte[] ImageBytes(int image) => Encoding.UTF8.GetBytes("image-" + image.ToString(CultureInfo.InvariantCulture));

    public static ContentHash Key(int image) => ContentHash.Compute(ImageBytes(image));

    public static float[] Vector(ContentHash key, int dimension)
    {
        var vector = new float[dimension];
        Fill(key, vector);
        return vector;
    }

    public static void Fill(ContentHash key, Span<float> vector)
    {
        Span<byte> bytes = stackalloc byte[ContentHash.Size];
        key.CopyTo(bytes);
        ulong state = BitConverter.ToUInt64(bytes) | 1;
        for (int j = 0; j < vector.Length; j++)
        {
            // xorshift64*: cheap, deterministic, full-range values.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            ulong x = state * 2685821657736338717UL;
            vector[j] = (float)((x >> 40) / (double)(1UL << 24) * 2.0 - 1.0);
        }
    }
}
