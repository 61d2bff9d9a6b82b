namespace Transfer.Testing;

/// <summary>
/// Thrown by <see cref="TransferAssert"/> when a check fails. Every test framework (xunit, NUnit, MSTest) reports an
/// unexpected exception as a failed test with its message, so the assertions need no framework of their own.
/// </summary>
public sealed class TransferAssertionException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="TransferAssertionException"/> class.</summary>
    public TransferAssertionException()
        : base("A Transfer assertion failed.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="TransferAssertionException"/> class with a message.</summary>
    /// <param name="message">What failed, with the actual values.</param>
    public TransferAssertionException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="TransferAssertionException"/> class with a message and a cause.</summary>
    /// <param name="message">What failed, with the actual values.</param>
    /// <param name="innerException">The exception that made the check fail.</param>
    public TransferAssertionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
