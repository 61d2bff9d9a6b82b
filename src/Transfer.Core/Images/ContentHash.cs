using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Transfer.Images;

/// <summary>
/// The SHA-256 of an image's bytes: how duplicates and train/test leaks are found (<see cref="DatasetAudit"/>), and the
/// content part of a bottleneck cache key (<see cref="Caching.BottleneckCache"/>).
/// </summary>
/// <remarks>
/// Two files with the same bytes have the same hash wherever they live, so a renamed, moved or
/// duplicated image hits the cache, and an edited one misses. The value is 32 bytes, compared and
/// hashed without allocation.
/// </remarks>
public readonly struct ContentHash : IEquatable<ContentHash>
{
    /// <summary>The length of a content hash in bytes (32, SHA-256).</summary>
    public const int Size = 32;

    private readonly ulong _a;
    private readonly ulong _b;
    private readonly ulong _c;
    private readonly ulong _d;

    /// <summary>Creates a content hash from its 32 raw bytes (not the content: use <see cref="Compute(ReadOnlySpan{byte})"/> for that).</summary>
    /// <param name="hash">The 32 bytes of a SHA-256 digest.</param>
    /// <exception cref="ArgumentException"><paramref name="hash"/> is not 32 bytes long.</exception>
    public ContentHash(ReadOnlySpan<byte> hash)
    {
        if (hash.Length != Size)
        {
            throw new ArgumentException($"Parameter \"hash\" must be {Size} bytes (a SHA-256 digest), was {hash.Length}. To hash content, call ContentHash.Compute.", nameof(hash));
        }

        _a = BinaryPrimitives.ReadUInt64LittleEndian(hash);
        _b = BinaryPrimitives.ReadUInt64LittleEndian(hash[8..]);
        _c = BinaryPrimitives.ReadUInt64LittleEndian(hash[16..]);
        _d = BinaryPrimitives.ReadUInt64LittleEndian(hash[24..]);
    }

    /// <summary>Computes the SHA-256 of <paramref name="content"/>.</summary>
    /// <param name="content">The image bytes, exactly as stored in the file.</param>
    /// <returns>The content hash.</returns>
    public static ContentHash Compute(ReadOnlySpan<byte> content)
    {
        Span<byte> digest = stackalloc byte[Size];
        SHA256.HashData(content, digest);
        return new ContentHash(digest);
    }

    /// <summary>Computes the SHA-256 of the rest of <paramref name="content"/>, reading it to its end.</summary>
    /// <param name="content">A readable stream positioned at the start of the image bytes.</param>
    /// <returns>The content hash.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="content"/> is <see langword="null"/>.</exception>
    public static ContentHash Compute(Stream content)
    {
        ArgumentNullException.ThrowIfNull(content);
        Span<byte> digest = stackalloc byte[Size];
        SHA256.HashData(content, digest);
        return new ContentHash(digest);
    }

    /// <summary>Computes the SHA-256 of the rest of <paramref name="content"/> asynchronously.</summary>
    /// <param name="content">A readable stream positioned at the start of the image bytes.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The content hash.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="content"/> is <see langword="null"/>.</exception>
    public static async ValueTask<ContentHash> ComputeAsync(Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        byte[] digest = await SHA256.HashDataAsync(content, cancellationToken).ConfigureAwait(false);
        return new ContentHash(digest);
    }

    /// <summary>Computes the SHA-256 of a file's bytes.</summary>
    /// <param name="path">The image file.</param>
    /// <returns>The content hash.</returns>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ContentHash ComputeFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Compute(stream);
    }

    /// <summary>Parses the 64 hexadecimal digits written by <see cref="ToString"/>.</summary>
    /// <param name="hex">64 hexadecimal digits, either case.</param>
    /// <returns>The content hash.</returns>
    /// <exception cref="FormatException"><paramref name="hex"/> is not 64 hexadecimal digits.</exception>
    public static ContentHash Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (hex.Length != Size * 2)
        {
            throw new FormatException($"A content hash must be {Size * 2} hexadecimal digits, was {hex.Length} characters: \"{hex}\".");
        }

        return new ContentHash(Convert.FromHexString(hex));
    }

    /// <summary>Writes the 32 raw bytes of the hash into <paramref name="destination"/>.</summary>
    /// <param name="destination">At least <see cref="Size"/> bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="Size"/>.</exception>
    public void CopyTo(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"Parameter \"destination\" must hold {Size} bytes, was {destination.Length}.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64LittleEndian(destination, _a);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[24..], _d);
    }

    /// <summary>Returns the 32 raw bytes of the hash in a new array.</summary>
    /// <returns>The digest bytes.</returns>
    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        CopyTo(bytes);
        return bytes;
    }

    /// <summary>Returns the hash as 64 lower-case hexadecimal digits (the usual <c>sha256sum</c> spelling).</summary>
    /// <returns>The hexadecimal digest.</returns>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <inheritdoc/>
    public bool Equals(ContentHash other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ContentHash other && Equals(other);

    /// <inheritdoc/>
    // The bytes are a cryptographic digest, so any 32 bits of them are already uniformly spread.
    public override int GetHashCode() => unchecked((int)_a);

    /// <summary>Compares two hashes for equality.</summary>
    /// <param name="left">The first hash.</param>
    /// <param name="right">The second hash.</param>
    /// <returns><see langword="true"/> when the digests are equal.</returns>
    public static bool operator ==(ContentHash left, ContentHash right) => left.Equals(right);

    /// <summary>Compares two hashes for inequality.</summary>
    /// <param name="left">The first hash.</param>
    /// <param name="right">The second hash.</param>
    /// <returns><see langword="true"/> when the digests differ.</returns>
    public static bool operator !=(ContentHash left, ContentHash right) => !left.Equals(right);

    internal static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);
}
