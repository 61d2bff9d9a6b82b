using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Numerics.Tensors;
using Parquet;
using Parquet.Schema;
using Transfer.Images;
using Transfer.IO;

namespace Transfer.Caching;

/// <content>Writing: encode, write to a temporary file, flush, rename.</content>
internal static partial class SegmentFile
{
    /// <summary>Writes a segment to a temporary file, flushes it to disk and renames it to its final, content-derived name.</summary>
    /// <returns>The committed path.</returns>
    public static string Write(string directory, string fingerprint, int dimension, VectorStorage storage, ReadOnlySpan<ContentHash> keys, ReadOnlySpan<float> vectors)
    {
        byte[] bytes = Encode(fingerprint, dimension, storage, keys, vectors);
        string name = Convert.ToHexStringLower(SHA256.HashData(bytes)) + Extension;
        string final = Path.Combine(directory, name);
        try
        {
            // A full disk (ENOSPC, EFBIG) leaves no half-written segment behind: the writer deletes its temporary file.
            AtomicFile.Write(final, stream => stream.Write(bytes), TempName(), overwrite: false);
        }
        catch (ArgumentOutOfRangeException e)
        {
            // .NET reports EFBIG (a write past the file-size limit, ulimit -f) as ArgumentOutOfRangeException.
            throw new IOException($"Bottleneck segment \"{final}\" could not be written: {e.Message} Free disk space or raise the file-size limit (ulimit -f).", e);
        }
        catch (IOException) when (File.Exists(final))
        {
            // Same name means same bytes (the name is their SHA-256): another writer committed it first.
        }

        return final;
    }

    private static byte[] Encode(string fingerprint, int dimension, VectorStorage storage, ReadOnlySpan<ContentHash> keys, ReadOnlySpan<float> vectors)
    {
        int count = keys.Length;
        int elementSize = storage == VectorStorage.HalfPrecision ? 2 : 4;
        var keyValues = new byte[count][];
        var vectorValues = new byte[count][];
        using var keysHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (int i = 0; i < count; i++)
        {
            keyValues[i] = keys[i].ToArray();
            keysHash.AppendData(keyValues[i]);
            ReadOnlySpan<float> vector = vectors.Slice(i * dimension, dimension);
            var blob = new byte[dimension * elementSize];
            if (storage == VectorStorage.HalfPrecision)
            {
                TensorPrimitives.ConvertToHalf(vector, MemoryMarshal.Cast<byte, Half>(blob.AsSpan()));
            }
            else
            {
                MemoryMarshal.AsBytes(vector).CopyTo(blob);
            }

            vectorValues[i] = blob;
        }

        var metadata = new Dictionary<string, string>
        {
            [MetaFormat] = FormatName,
            [MetaFingerprint] = fingerprint,
            [MetaDimension] = dimension.ToString(CultureInfo.InvariantCulture),
            [MetaElementType] = storage == VectorStorage.HalfPrecision ? "float16" : "float32",
            [MetaCount] = count.ToString(CultureInfo.InvariantCulture),
            [MetaKeysSha256] = Convert.ToHexStringLower(keysHash.GetHashAndReset()),
        };

        return Sync(async () =>
        {
            var keyField = new DataField<byte[]>(KeyColumn);
            var vectorField = new DataField<byte[]>(VectorColumn);
            using var memory = new MemoryStream();
            await using (ParquetWriter writer = await ParquetWriter.CreateAsync(new ParquetSchema(keyField, vectorField), memory, s_options).ConfigureAwait(false))
            {
                writer.CustomMetadata = metadata;
                using ParquetRowGroupWriter group = writer.CreateRowGroup();
                await group.WriteAsync(keyField, keyValues, null).ConfigureAwait(false);
                await group.WriteAsync(vectorField, vectorValues, null).ConfigureAwait(false);
            }

            return memory.ToArray();
        });
    }
}
