namespace Transfer.Images;

/// <summary>What to do when an image cannot be read or decoded.</summary>
public enum BadImagePolicy
{
    /// <summary>Stop with an <see cref="InvalidImageException"/> naming the file and the reason (the default).</summary>
    Fail,

    /// <summary>Leave the image out and report it in the result's skipped list.</summary>
    Skip,
}
