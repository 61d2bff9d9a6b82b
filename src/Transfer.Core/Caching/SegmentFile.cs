using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Numerics.Tensors;
using Parquet;
using Parquet.Schema;

namespace Transfer.Caching;

/// <summary>Reads and writes one segment: a Parquet file named after its own SHA-256 (see FORMAT.md).</summary>
internal static class SegmentFile
{
    public const string Extension = ".parquet";
    public const string TempExtension = ".partial";
    public const string FormatName = "transfer.bottleneck-segment/1";
    public const string KeyColumn = "key";
    public const string VectorColumn = "vector";
    public const string MetaFormat = "transfer.format";
    public const string MetaFingerprint = "transfer.fingerprint";
    public const string MetaDimension = "transfer.dimension";
    public const string MetaElementType = "transfer.element_type";
    public const string MetaCount = "transfer.count";
    public const string MetaKeysSha256 = "transfer.keys_sha256";

    private static readonly ParquetOptions s_options = new() { CompressionMethod = CompressionMethod.None };

    /// <summary>A file name is a committed segment when it is 64 lower-case hex digits and the extension.</summary>
    public static bool IsSegmentName(string fileName)
    {
        if (fileName.Length != 64 + Extension.Length || !fileName.EndsWith(Extension, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (char c in fileName.AsSpan(0, 64))
        {
            if (!char.IsAsciiHexDigitLower(c))
            {
                return false;
            }
        }

        return true;
    }

    public static string TempName() => string.Create(
        CultureInfo.InvariantCulture,
        $"tmp-{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}{TempExtension}");

    /// <summary>Writes a segment to a temporary file, flushes it to disk and renames it to its final, content-derived name.</summary>
    /// <returns>The committed path.</returns>
    public static string Write(string directory, string fingerprint, int dimension, VectorStorage storage, ReadOnlySpan<ContentHash> keys, ReadOnlySpan<float> vectors)
    {
        byte[] bytes = Encode(fingerprint, dimension, storage, keys, vectors);
        string name = Convert.ToHexStringLower(SHA256.HashData(bytes)) + Extension;
        string final = Path.Combine(directory, name);
        string temp = Path.Combine(directory, TempName());
        try
        {
            using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        catch (Exception e)
        {
            // A full disk (ENOSPC, EFBIG) must not leave a half-written segment behind.
            File.Delete(temp);
            if (e is ArgumentOutOfRangeException)
            {
                // .NET reports EFBIG (a write past the file-size limit, ulimit -f) as ArgumentOutOfRangeException.
                throw new IOException($"Bottleneck segment \"{temp}\" could not be written: {e.Message} Free disk space or raise the file-size limit (ulimit -f).", e);
            }

            throw;
        }

        try
        {
            // Rename is atomic: readers see no file or the whole file, never a prefix.
            File.Move(temp, final, overwrite: false);
        }
        catch (IOException) when (File.Exists(final))
        {
            // Same name means same bytes (the name is their SHA-256): another writer committed it first.
            File.Delete(temp);
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

    // Anything a damaged file can make the Parquet reader throw; programming errors and out-of-memory still surface.
    private static bool IsCorruption(Exception ex) =>
        ex is not SegmentCorruptException and not FileNotFoundException and not DirectoryNotFoundException and not OutOfMemoryException and not OperationCanceledException;

    /// <summary>
    /// Runs Parquet.Net's async-only code to completion on the calling thread. Over memory streams and
    /// <see cref="SynchronousReadStream"/> it never actually waits, so no second thread is needed (a <c>Task.Run</c> here
    /// cost half a second of thread-pool injection delay whenever the pool was busy). The caller's synchronization
    /// context is set aside meanwhile, so a continuation that did wait could not deadlock on it.
    /// </summary>
    private static T Sync<T>(Func<Task<T>> action)
    {
        var context = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            return action().GetAwaiter().GetResult();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }
    }
}

/// <summary>A segment's footer and, after <see cref="SegmentFile.ReadKeys"/>, its keys.</summary>
internal sealed record SegmentHeader(string Fingerprint, int Dimension, VectorStorage Storage, int Count, string KeysSha256, ContentHash[] Keys);

/// <summary>A segment failed its checksum or could not be parsed.</summary>
internal sealed class SegmentCorruptException : Exception
{
    public SegmentCorruptException()
    {
    }

    public SegmentCorruptException(string message)
        : base(message)
    {
    }

    public SegmentCorruptException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
