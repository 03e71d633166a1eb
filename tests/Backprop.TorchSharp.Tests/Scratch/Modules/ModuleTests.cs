using Backprop.Scratch;
using Backprop.Scratch.Modules;
using static TorchSharp.torch;

namespace Backprop.Tests.Scratch.Modules;

public sealed class ModuleTests
{
    /// <summary>A subclass that writes only the forward and the backward math, as the lesson's layers do.</summary>
    private sealed class Mul() : Module(arity: 2)
    {
        public List<Tensor> SeenByBwd { get; } = [];

        protected override Tensor Forward(ReadOnlySpan<Tensor> args) => args[0] * args[1];

        protected override void Bwd(Tensor output, ReadOnlySpan<Tensor> args)
        {
            SeenByBwd.AddRange([output, .. args]);
            args[0].G = args[1] * output.G; // d(ab)/da = b
            args[1].G = args[0] * output.G; // d(ab)/db = a
        }
    }

    [Fact]
    public void Call_saves_the_inputs_and_output_that_backward_hands_to_bwd()
    {
        using var scope = NewDisposeScope();
        var (a, b) = (tensor(new[] { 2.0, 3.0 }), tensor(new[] { 5.0, 7.0 }));
        var mul = new Mul();

        var output = mul.Call(a, b);
        output.G = tensor(new[] { 1.0, 10.0 });
        mul.Backward();

        Assert.Equal([10.0, 21.0], output.data<double>().ToArray());
        Assert.Collection(mul.SeenByBwd, t => Assert.Same(output, t), t => Assert.Same(a, t), t => Assert.Same(b, t));
        Assert.Same(output, mul.Out);
        Assert.Collection(mul.Args, t => Assert.Same(a, t), t => Assert.Same(b, t));
        Assert.Equal([5.0, 70.0], a.G.data<double>().ToArray());
        Assert.Equal([2.0, 30.0], b.G.data<double>().ToArray());
    }

    [Fact]
    public void The_wrong_number_of_inputs_and_backward_before_call_are_refused()
    {
        using var scope = NewDisposeScope();
        var mul = new Mul();

        var e = Assert.Throws<InvalidOperationException>(mul.Backward);
        Assert.Contains("Mul.Backward before Mul.Call", e.Message);
        var arity = Assert.Throws<ArgumentException>(() => mul.Call(ones(2)));
        Assert.Contains("takes 2 input(s), got 1", arity.Message);
    }
}
