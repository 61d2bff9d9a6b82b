namespace Transfer.Validation;

/// <summary>
/// Collects the problems of options checked together, then throws them all in one
/// <see cref="OptionsValidationException"/>: every <c>Validate()</c> in Transfer and the pipeline builder use it, so
/// problems travel as a list and are rendered once.
/// </summary>
/// <example>
/// <code>
/// var problems = new ValidationProblems();
/// if (Folds &lt; 2)
/// {
///     problems.Add($"Folds must be at least 2, was {Folds}.");
/// }
///
/// problems.AddFrom("WriteReport: ", () => reportOptions.Validate());
/// problems.ThrowIfAny(nameof(AutoHeadOptions));
/// </code>
/// </example>
public sealed class ValidationProblems
{
    private readonly List<string> _problems = [];

    /// <summary>Gets how many problems were collected.</summary>
    public int Count => _problems.Count;

    /// <summary>Gets the problems collected so far, in the order they were added.</summary>
    public IReadOnlyList<string> Items => _problems;

    /// <summary>Adds one problem.</summary>
    /// <param name="problem">One sentence that names the option, the actual value and the fix.</param>
    /// <exception cref="ArgumentException"><paramref name="problem"/> is null or blank.</exception>
    public void Add(string problem)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(problem);
        _problems.Add(problem);
    }

    /// <summary>
    /// Runs another object's validation and adopts its problems, each prefixed with <paramref name="prefix"/>: the
    /// <see cref="OptionsValidationException.Problems"/> of an <see cref="OptionsValidationException"/>, or the message of
    /// any other <see cref="ArgumentException"/> as one problem.
    /// </summary>
    /// <param name="prefix">Where the nested options sit, as the user wrote them (<c>"TrainHead: "</c>, <c>"View."</c>); empty for none.</param>
    /// <param name="validate">The validation to run, such as <c>() =&gt; options.Validate()</c>.</param>
    /// <returns>Whether <paramref name="validate"/> found no problem.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="prefix"/> or <paramref name="validate"/> is <see langword="null"/>.</exception>
    public bool AddFrom(string prefix, Action validate)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(validate);
        try
        {
            validate();
            return true;
        }
        catch (OptionsValidationException e)
        {
            foreach (string problem in e.Problems)
            {
                _problems.Add(prefix + problem);
            }
        }
        catch (ArgumentException e)
        {
            _problems.Add(prefix + e.Message);
        }

        return false;
    }

    /// <summary>Throws one exception listing every problem under <c>Invalid {subject} / Validation Errors:</c>, if there is any.</summary>
    /// <param name="subject">What was checked, as the user knows it: <c>AutoHeadOptions</c>, <c>pipeline</c>.</param>
    /// <param name="paramName">The parameter that held the options, or <see langword="null"/>.</param>
    /// <exception cref="OptionsValidationException">At least one problem was collected.</exception>
    public void ThrowIfAny(string subject, string? paramName = null)
    {
        if (_problems.Count > 0)
        {
            throw new OptionsValidationException(subject, _problems, paramName);
        }
    }
}
