namespace Transfer.Caching;

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
