using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Transfer.Validation;

namespace Transfer.Caching;

/// <summary>Settings of a <see cref="BottleneckCache"/>, validated together by <see cref="BottleneckCache.Open"/>.</summary>
public sealed class BottleneckCacheOptions
{
    /// <summary>The default <see cref="SegmentSize"/>: 2048 vectors (4 MiB of 512-float vectors).</summary>
    public const int DefaultSegmentSize = 2048;

    /// <summary>The largest allowed <see cref="SegmentSize"/>.</summary>
    public const int MaxSegmentSize = 1 << 20;

    /// <summary>The default <see cref="StaleTempFileAge"/>: one hour.</summary>
    public static readonly TimeSpan DefaultStaleTempFileAge = TimeSpan.FromHours(1);

    /// <summary>Gets or sets how many vectors a writer buffers before it commits them as one segment file.</summary>
    /// <remarks>A process killed before a commit loses at most this many vectors, which are recomputed on the next run.</remarks>
    /// <value>The default value is <see cref="DefaultSegmentSize"/>; allowed 1 to <see cref="MaxSegmentSize"/>.</value>
    public int SegmentSize { get; set; } = DefaultSegmentSize;

    /// <summary>Gets or sets the element type of vectors written from now on (segments already on disk keep theirs).</summary>
    /// <value>The default value is <see cref="VectorStorage.SinglePrecision"/>.</value>
    public VectorStorage Storage { get; set; } = VectorStorage.SinglePrecision;

    /// <summary>
    /// Gets or sets the age after which a temporary file left by a writer on another machine is deleted on open.
    /// Temporary files of processes on this machine that are no longer running are deleted whatever their age.
    /// </summary>
    /// <value>The default value is <see cref="DefaultStaleTempFileAge"/>; must be positive.</value>
    public TimeSpan StaleTempFileAge { get; set; } = DefaultStaleTempFileAge;

    /// <summary>Gets or sets the logger factory for cache events (segments committed, corrupt segments quarantined).</summary>
    /// <value>The default value is <see cref="NullLoggerFactory.Instance"/>.</value>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    internal void Validate()
    {
        var problems = new ValidationProblems();
        if (SegmentSize is < 1 or > MaxSegmentSize)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"SegmentSize must be between 1 and {MaxSegmentSize}, was {SegmentSize}."));
        }

        if (!Enum.IsDefined(Storage))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Storage must be SinglePrecision or HalfPrecision, was {(int)Storage}."));
        }

        if (StaleTempFileAge <= TimeSpan.Zero)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"StaleTempFileAge must be positive, was {StaleTempFileAge}."));
        }

        if (LoggerFactory is null)
        {
            problems.Add("LoggerFactory must not be null; use NullLoggerFactory.Instance to turn logging off.");
        }

        problems.ThrowIfAny(nameof(BottleneckCacheOptions), "options");
    }
}
