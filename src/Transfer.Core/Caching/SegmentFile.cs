using System.Globalization;
using Parquet;

namespace Transfer.Caching;

/// <summary>Reads and writes one segment: a Parquet file named after its own SHA-256 (see FORMAT.md).</summary>
internal static partial class SegmentFile
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
