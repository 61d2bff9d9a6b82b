namespace Transfer.Cli;

/// <summary>A failure the user can fix: ends the command with <see cref="Code"/> and a one-line reason on stderr.</summary>
internal sealed class CliException : Exception
{
    public CliException()
    {
    }

    public CliException(string message)
        : base(message)
    {
    }

    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CliException(ExitCode code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    /// <summary>Gets the exit code.</summary>
    public ExitCode Code { get; } = ExitCode.InternalError;
}
