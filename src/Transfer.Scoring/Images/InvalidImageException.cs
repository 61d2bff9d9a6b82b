namespace Transfer.Images;

/// <summary>Thrown when an image cannot be read, decoded or is refused (too large, unsupported format).</summary>
public sealed class InvalidImageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InvalidImageException()
        : this("The image could not be read.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public InvalidImageException(string message)
        : base(message)
    {
        Source = string.Empty;
        Reason = message;
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public InvalidImageException(string message, Exception innerException)
        : base(message, innerException)
    {
        Source = string.Empty;
        Reason = message;
    }

    /// <summary>Creates the exception for an image and a reason.</summary>
    /// <param name="source">The image's path or description.</param>
    /// <param name="reason">Why it was refused.</param>
    /// <param name="innerException">The cause, if any.</param>
    public InvalidImageException(string source, string reason, Exception? innerException = null)
        : base($"Image \"{source}\" could not be used: {reason}", innerException)
    {
        Source = source;
        Reason = reason;
    }

    /// <summary>Gets the image's path or description.</summary>
    public new string Source { get; }

    /// <summary>Gets why the image was refused.</summary>
    public string Reason { get; }
}
