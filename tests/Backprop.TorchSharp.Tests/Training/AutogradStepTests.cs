using Backprop.Training;
using static TorchSharp.torch;

namespace Backprop.Tests.Training;

[Collection(MnistGroup.Name)]
public sealed class AutogradStepTests(MnistFixture data)
{
    [Fact]
    public void Step_returns_the_batch_loss_detached_and_updates_like_the_lesson_s_loop()
    {
        manual_seed(1);
        var (lesson, lessonOpt) = Models.GetModel();
        manual_seed(1);
        var (model, opt) = Models.GetModel();
        using (lesson)
        using (lessonOpt)
        using (model)
        using (opt)
        {
            var step = new AutogradStep(model, LossFunc.CrossEntropy, opt);
            for (var i = 0; i < 100; i++)
            {
                using var scope = NewDisposeScope();
                var (xb, yb) = (data.Mnist.XTrain[(i * 50)..((i + 1) * 50)], data.Mnist.YTrain[(i * 50)..((i + 1) * 50)]);
                // The lesson's loop: loss.backward(); opt.step(); opt.zero_grad().
                var expected = LossFunc.CrossEntropy(lesson.call(xb), yb);
                expected.backward();
                lessonOpt.step();
                lessonOpt.zero_grad();

                var loss = step.Step(xb, yb);

                Assert.Empty(loss.shape);
                Assert.False(loss.requires_grad);
                Assert.Equal(expected.item<float>(), loss.item<float>(), 1e-5f);
            }
            Assert.All(model.parameters().Zip(lesson.parameters()), pair => Assert.True(pair.First.allclose(pair.Second, rtol: 0, atol: 1e-6)));
        }
    }

    [Fact]
    public void The_last_step_s_grads_stay_readable_until_the_next_step()
    {
        manual_seed(1);
        var (model, opt) = Models.GetModel();
        using (model)
        using (opt)
        using (var scope = NewDisposeScope())
        {
            var step = new AutogradStep(model, LossFunc.CrossEntropy, opt);
            step.Step(data.Mnist.XTrain[..50], data.Mnist.YTrain[..50]);
            var first = model.parameters().First().grad!.clone();

            step.Step(data.Mnist.XTrain[50..100], data.Mnist.YTrain[50..100]);
            var second = model.parameters().First().grad!;

            // Set to none before backward, not accumulated: the second grad is that batch's alone.
            Assert.False(second.allclose(first + second));
            Assert.True(second.abs().sum().item<float>() > 0);
        }
    }

    [Fact]
    public void Predict_tracks_no_gradient_and_SetTraining_switches_the_mode()
    {
        var (model, opt) = Models.GetModel();
        using (model)
        using (opt)
        using (var scope = NewDisposeScope())
        {
            var step = new AutogradStep(model, LossFunc.CrossEntropy, opt);

            var preds = step.Predict(data.Mnist.XValid[..20]);
            step.SetTraining(false);
            var evalMode = model.training;
            step.SetTraining(true);

            Assert.Equal([20L, 10], preds.shape);
            Assert.False(preds.requires_grad);
            Assert.False(evalMode);
            Assert.True(model.training);
            Assert.Same(model, step.Model);
        }
    }
}
