using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Numerics.Tensors;
using Parquet;
using Parquet.Schema;
using Transfer.Images;

namespace Transfer.Caching;

/// <content>Reading: footer, keys and vectors, each checked before it is believed.</content>
internal static partial class SegmentFile
{
    /// <summary>Reads a segment's footer and keys, checking the keys against the checksum in the footer. Vectors are not read.</summary>
    /// <exception cref="SegmentCorruptException">The file is truncated, unparsable, or its keys fail the checksum.</exception>
    /// <exception cref="FileNotFoundException">The file was deleted (by a prune or clear in another process).</exception>
    public static SegmentHeader ReadKeys(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.RandomAccess);
            return Sync(async () =>
            {
                await using ParquetReader reader = await ParquetReader.CreateAsync(new SynchronousReadStream(stream), s_options, leaveStreamOpen: true).ConfigureAwait(false);
                SegmentHeader header = ParseFooter(reader);
                byte[]?[] keyValues = new byte[header.Count][];
                using (ParquetRowGroupReader group = reader.OpenRowGroupReader(0))
                {
                    await group.ReadAsync(reader.Schema.GetDataFields()[0], keyValues.AsMemory(), null).ConfigureAwait(false);
                }

                var keys = new ContentHash[header.Count];
                using var keysHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                for (int i = 0; i < keys.Length; i++)
                {
                    byte[]? key = keyValues[i];
                    if (key is null || key.Length != ContentHash.Size)
                    {
                        throw new SegmentCorruptException(string.Create(CultureInfo.InvariantCulture, $"key {i} is {key?.Length ?? -1} bytes, expected {ContentHash.Size}"));
                    }

                    keysHash.AppendData(key);
                    keys[i] = new ContentHash(key);
                }

                string actual = Convert.ToHexStringLower(keysHash.GetHashAndReset());
                if (!string.Equals(actual, header.KeysSha256, StringComparison.Ordinal))
                {
                    throw new SegmentCorruptException($"keys checksum mismatch: footer says {header.KeysSha256}, keys hash to {actual}");
                }

                return header with { Keys = keys };
            });
        }
        catch (Exception ex) when (IsCorruption(ex))
        {
            throw new SegmentCorruptException(ex.Message, ex);
        }
    }

    /// <summary>Reads only the footer (for inspection).</summary>
    public static SegmentHeader ReadFooter(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, FileOptions.RandomAccess);
            return Sync(async () =>
            {
                await using ParquetReader reader = await ParquetReader.CreateAsync(new SynchronousReadStream(stream), s_options, leaveStreamOpen: true).ConfigureAwait(false);
                return ParseFooter(reader);
            });
        }
        catch (Exception ex) when (IsCorruption(ex))
        {
            throw new SegmentCorruptException(ex.Message, ex);
        }
    }

    /// <summary>Tells whether a segment's bytes hash to its name.</summary>
    public static bool HasValidChecksum(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);
            return string.Equals(Path.GetFileNameWithoutExtension(path), Convert.ToHexStringLower(SHA256.HashData(stream)), StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads a whole segment, checks its SHA-256 against its file name, then decodes its vectors to
    /// float32, row-major. No byte is interpreted as a number before the checksum passed.
    /// </summary>
    /// <exception cref="SegmentCorruptException">The checksum fails or the file does not parse.</exception>
    /// <exception cref="FileNotFoundException">The file was deleted.</exception>
    public static float[] ReadVectors(string path, int dimension)
    {
        try
        {
            byte[] bytes = File.ReadAllBytes(path);
            string expected = Path.GetFileNameWithoutExtension(path);
            string actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (!string.Equals(expected, actual, StringComparison.Ordinal))
            {
                throw new SegmentCorruptException(string.Create(CultureInfo.InvariantCulture, $"file checksum mismatch: name says {expected}, {bytes.Length} bytes hash to {actual}"));
            }

            return Sync(async () =>
            {
                using var stream = new MemoryStream(bytes, writable: false);
                await using ParquetReader reader = await ParquetReader.CreateAsync(stream, s_options).ConfigureAwait(false);
                SegmentHeader header = ParseFooter(reader);
                if (header.Dimension != dimension)
                {
                    throw new SegmentCorruptException(string.Create(CultureInfo.InvariantCulture, $"dimension {header.Dimension}, expected {dimension}"));
                }

                int elementSize = header.Storage == VectorStorage.HalfPrecision ? 2 : 4;
                byte[]?[] blobs = new byte[header.Count][];
                using (ParquetRowGroupReader group = reader.OpenRowGroupReader(0))
                {
                    await group.ReadAsync(reader.Schema.GetDataFields()[1], blobs.AsMemory(), null).ConfigureAwait(false);
                }

                var values = new float[(long)header.Count * dimension];
                for (int i = 0; i < blobs.Length; i++)
                {
                    byte[]? blob = blobs[i];
                    if (blob is null || blob.Length != dimension * elementSize)
                    {
                        throw new SegmentCorruptException(string.Create(CultureInfo.InvariantCulture, $"vector {i} is {blob?.Length ?? -1} bytes, expected {dimension * elementSize}"));
                    }

                    Span<float> row = values.AsSpan(i * dimension, dimension);
                    if (header.Storage == VectorStorage.HalfPrecision)
                    {
                        TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(blob.AsSpan()), row);
                    }
                    else
                    {
                        MemoryMarshal.Cast<byte, float>(blob.AsSpan()).CopyTo(row);
                    }
                }

                return values;
            });
        }
        catch (Exception ex) when (IsCorruption(ex))
        {
            throw new SegmentCorruptException(ex.Message, ex);
        }
    }

    private static SegmentHeader ParseFooter(ParquetReader reader)
    {
        Dictionary<string, string> meta = reader.CustomMetadata;
        string Get(string key) => meta.TryGetValue(key, out string? value) ? value : throw new SegmentCorruptException($"footer lacks \"{key}\"");
        int GetInt(string key) => int.TryParse(Get(key), NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value : throw new SegmentCorruptException($"footer \"{key}\" is not a count: \"{Get(key)}\"");

        if (!string.Equals(Get(MetaFormat), FormatName, StringComparison.Ordinal))
        {
            throw new SegmentCorruptException($"format is \"{Get(MetaFormat)}\", expected \"{FormatName}\"");
        }

        VectorStorage storage = Get(MetaElementType) switch
        {
            "float32" => VectorStorage.SinglePrecision,
            "float16" => VectorStorage.HalfPrecision,
            string other => throw new SegmentCorruptException($"element type \"{other}\" is neither float32 nor float16"),
        };
        int count = GetInt(MetaCount);
        int dimension = GetInt(MetaDimension);
        if (reader.RowGroupCount != 1 || reader.RowGroups[0].RowCount != count || dimension < 1)
        {
            throw new SegmentCorruptException(string.Create(CultureInfo.InvariantCulture, $"{reader.RowGroupCount} row groups of {(reader.RowGroupCount > 0 ? reader.RowGroups[0].RowCount : 0)} rows, footer says 1 of {count} and dimension {dimension}"));
        }

        DataField[] fields = reader.Schema.GetDataFields();
        if (fields.Length != 2 || fields[0].Name != KeyColumn || fields[1].Name != VectorColumn)
        {
            throw new SegmentCorruptException($"columns are [{string.Join(", ", fields.Select(f => f.Name))}], expected [{KeyColumn}, {VectorColumn}]");
        }

        return new SegmentHeader(Get(MetaFingerprint), dimension, storage, count, Get(MetaKeysSha256), []);
    }
}
