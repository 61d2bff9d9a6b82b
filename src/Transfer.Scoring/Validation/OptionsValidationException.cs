using System.Text;

namespace Transfer.Validation;

/// <summary>
/// Thrown when options (or a builder's whole configuration) are invalid: it carries every problem found, in the order
/// they were checked, as <see cref="Problems"/>, and its message lists them one per line under one heading.
/// </summary>
/// <remarks>
/// It is an <see cref="ArgumentException"/>, so callers that catch <see cref="ArgumentException"/> keep working. A caller
/// that adopts another object's problems reads <see cref="Problems"/> (as <see cref="ValidationProblems.AddFrom"/> does),
/// never the message text.
/// </remarks>
public sealed class OptionsValidationException : ArgumentException
{
    /// <summary>Creates the exception with no problems listed.</summary>
    public OptionsValidationException()
    {
        Problems = [];
    }

    /// <summary>Creates the exception with one problem, the message itself.</summary>
    /// <param name="message">The problem, saying what, where, the actual value and the fix.</param>
    public OptionsValidationException(string message)
        : base(message)
    {
        Problems = [message];
    }

    /// <summary>Creates the exception with one problem, the message itself, and a cause.</summary>
    /// <param name="message">The problem.</param>
    /// <param name="innerException">The cause.</param>
    public OptionsValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    /// <summary>Creates the exception listing <paramref name="problems"/> under <c>Invalid {subject} / Validation Errors:</c>.</summary>
    /// <param name="subject">What was invalid, as the user knows it: <c>AutoHeadOptions</c>, <c>pipeline</c>.</param>
    /// <param name="problems">The problems, each one sentence naming the option, the value and the fix; at least one.</param>
    /// <param name="paramName">The parameter that held the options, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="subject"/> or <paramref name="problems"/> is <see langword="null"/>.</exception>
    public OptionsValidationException(string subject, IEnumerable<string> problems, string? paramName = null)
        : this(Heading(subject), [.. problems ?? throw new ArgumentNullException(nameof(problems))], paramName)
    {
    }

    private OptionsValidationException(string heading, string[] problems, string? paramName)
        : base(Format(heading, problems), paramName)
    {
        Problems = problems;
    }

    /// <summary>Gets every problem found, in the order they were checked, without the heading or the list marks.</summary>
    public IReadOnlyList<string> Problems { get; }

    private static string Heading(string subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        return $"Invalid {subject} / Validation Errors:";
    }

    private static string Format(string heading, string[] problems)
    {
        var message = new StringBuilder(heading);
        foreach (string problem in problems)
        {
            message.Append(Environment.NewLine).Append("- ").Append(problem);
        }

        return message.ToString();
    }
}
