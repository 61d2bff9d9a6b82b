namespace Transfer.Caching;

/// <summary>Describes a segment file that failed its checksum or could not be parsed, and was quarantined.</summary>
public sealed class CorruptSegmentEventArgs : EventArgs
{
    internal CorruptSegmentEventArgs(string fingerprint, string segmentPath, string? quarantinePath, string reason)
    {
        Fingerprint = fingerprint;
        SegmentPath = segmentPath;
        QuarantinePath = quarantinePath;
        Reason = reason;
    }

    /// <summary>Gets the fingerprint of the store the segment belongs to.</summary>
    public string Fingerprint { get; }

    /// <summary>Gets the path the segment had when it was found corrupt.</summary>
    public string SegmentPath { get; }

    /// <summary>Gets where the segment was moved for inspection, or <see langword="null"/> if it could not be moved (it is ignored all the same).</summary>
    public string? QuarantinePath { get; }

    /// <summary>Gets what was wrong, for example a checksum mismatch with both values.</summary>
    public string Reason { get; }
}
