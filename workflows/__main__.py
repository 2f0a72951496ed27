from cognitest.workflows.worker import main

main()
