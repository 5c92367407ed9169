using System.CommandLine;
using System.CommandLine.Parsing;

namespace K8sWsProxy.Contracts.Hosting;

/// <summary>
/// The programs' command lines on System.CommandLine: each option declared once (its name, the name of its value, its
/// help, how its value is read, and for the operator the environment variable read when the flag is absent), every
/// problem worded with the option it concerns ("--listen: 'x' is not ADDRESS:PORT …", "--bogus: unknown option",
/// "--listen: missing value"), and the usage text made from the same declarations.
/// </summary>
public static class ProgramOptions
{
    /// <param name="read">The value (never null: System.CommandLine cannot take a null from a parser), or the problem with
    /// the text ("'x' is not …"), reported after the option's name.</param>
    /// <param name="environment">What to read when the flag is absent (null: nothing); the flag wins.</param>
    public static Option<T> Declare<T>(string name, string valueName, string description, T defaultValue, Func<string, (T Value, string? Problem)> read, Func<string?>? environment = null)
    {
        return new Option<T>(name)
        {
            HelpName = valueName,
            Description = description,
            Arity = ArgumentArity.ExactlyOne,
            CustomParser = result => Read(result, result.Tokens[^1].Value),
            DefaultValueFactory = result => environment?.Invoke() is { Length: > 0 } text ? Read(result, text) : defaultValue,
        };

        T Read(ArgumentResult result, string text)
        {
            var (value, problem) = read(text);
            if (problem is null)
            {
                return value;
            }

            result.AddError($"{name}: {problem}");
            return defaultValue;
        }
    }

    /// <summary>An option whose value is taken as it is.</summary>
    public static Option<string?> Text(string name, string valueName, string description, Func<string?>? environment = null) =>
        Declare<string?>(name, valueName, description, null, text => (text, null), environment);

    /// <summary>A command with these options and nothing else (no help or version option of its own: usage comes with any error).</summary>
    public static RootCommand Command(params Option[] options)
    {
        var command = new RootCommand();
        command.Options.Clear();
        foreach (var option in options)
        {
            command.Options.Add(option);
        }

        return command;
    }

    /// <summary>The parse and every problem with it, worded with the option it concerns.</summary>
    public static (ParseResult Result, List<string> Errors) Parse(RootCommand command, IReadOnlyList<string> args)
    {
        var result = command.Parse(args);
        var errors = new List<string>();
        var afterUnknownOption = false;
        foreach (var token in result.UnmatchedTokens)
        {
            // An unknown option's value is taken for its value, as every option here has one; anything else is a stray.
            if (token.StartsWith('-'))
            {
                errors.Add($"{token}: unknown option");
            }
            else if (!afterUnknownOption)
            {
                errors.Add($"'{token}': not an option (options are --name value)");
            }

            afterUnknownOption = token.StartsWith('-');
        }

        foreach (var error in result.Errors)
        {
            switch (error.SymbolResult)
            {
                case CommandResult:
                    break; // unmatched tokens: reported above
                case OptionResult { Tokens.Count: 0 } option:
                    errors.Add($"{option.Option.Name}: missing value");
                    break;
                case OptionResult option when option.Tokens.Count > 1:
                    errors.Add($"{option.Option.Name}: given more than once");
                    break;
                default:
                    errors.Add(error.Message);
                    break;
            }
        }

        return (result, errors.Distinct(StringComparer.Ordinal).ToList());
    }

    /// <summary>The option's value; its default when its text had a problem (which is among the errors already).</summary>
    public static T? ValueOf<T>(this ParseResult result, Option<T> option)
    {
        try
        {
            return result.GetValue(option);
        }
        catch (InvalidOperationException)
        {
            return default;
        }
    }

    /// <summary>The usage text: <paramref name="synopsis"/>, then each option with its value's name and its help.</summary>
    public static string Usage(RootCommand command, string synopsis) =>
        string.Join('\n', command.Options.Select(o => $"  {o.Name} {o.HelpName}".PadRight(30) + o.Description).Prepend("usage: " + synopsis));
}
